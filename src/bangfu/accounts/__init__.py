"""Users, roles, region scopes (capture and view), API tokens and login throttling."""
