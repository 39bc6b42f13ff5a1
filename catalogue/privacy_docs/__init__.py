"""The privacy documents the municipality hands over: the record of processing (GDPR Art. 30),
the pages and letters for parents, and the history of privacy records they are rebuilt from."""
