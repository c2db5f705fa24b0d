"""The one error type raised for bad dataset input (missing roots, malformed names, unreadable files)."""


class DatasetError(ValueError):
    """A dataset on disk is missing, malformed or unreadable; the message names the path and what was expected."""
