"""The electronic re-survey of the households the ministry supports: campaigns, XLSForm questionnaires on the
researchers' phones (offline), a proxy-means test as data, and the electronic monitoring of the researchers."""
