"""Identity and access: our own tokens, the access rules, and the request authentication."""
