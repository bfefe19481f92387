"""RAGFlow's RESTful dataset API, ``/api/v1/datasets`` (plural), as of RAGFlow v0.27: what ``ragflow-sdk`` calls."""
