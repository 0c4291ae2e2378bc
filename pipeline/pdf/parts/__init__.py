"""A book laid out in parts, on every core (``book`` tells the whole story).

``split`` cuts the print document into the front matter and the days; ``pool`` forks the
workers (``worker``) that paginate each part (``paginate``), learn its numbers and write it as a
PDF of its own (``part``), talking through the dataclasses of ``messages``; ``merge`` joins the
parts into the book; ``cache`` keeps each part's PDF for the next build.
"""
