"""Forms of the web pages."""
