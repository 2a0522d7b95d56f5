"""The site's services: demand response, sessions and statements."""
