def capabilities(request):
    """``caps``: the capabilities of the logged-in user, for menus (``{% if "search_people" in caps %}``)."""
    user = getattr(request, "user", None)
    return {"caps": user.capabilities if user is not None and user.is_authenticated else frozenset()}
