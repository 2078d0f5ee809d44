"""validator: checks student pull requests to a model-compression course."""

__version__ = "0.1.0"
