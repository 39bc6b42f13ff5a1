"""Server-rendered pages for every role."""
