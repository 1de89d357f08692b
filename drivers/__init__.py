"""Device interfaces and implementations; knows nothing of payments."""
