"""The Django project of the web system: settings, URLs, the WSGI entry and the production server.

Importing this package imports no Django; ``bootstrap.setup()`` does, when a command needs it.
"""
