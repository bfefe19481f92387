"""The legacy dataset API, ``/api/v1/dataset`` (singular): RAGFlow's 2024 API reference, for older scripts."""
