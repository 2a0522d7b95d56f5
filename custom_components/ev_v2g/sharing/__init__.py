"""Power sharing: the loop that turns the site's inputs into setpoints, and what feeds it."""
