"""Our numbers behind the papers' tables and Fig. 10, written as CSV for ``diffae.report`` to format."""
