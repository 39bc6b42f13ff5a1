"""Catalogue search: Norwegian text analysis (analysis), the index kept in step with every write
(index), and the catalogue list with free text, filters and facet counts (listing).

Call ``index_resource(id)`` inside the transaction of any change to a resource, its facets or its
vendor; ``catalogue search reindex`` rebuilds everything."""

from catalogue.search.index import deferred_indexing, index_resource, index_resources, reindex

__all__ = ["deferred_indexing", "index_resource", "index_resources", "reindex"]
