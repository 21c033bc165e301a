"""The demo: real regions and pairings from the seed article, demo users, one command."""
