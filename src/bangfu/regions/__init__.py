"""Administrative hierarchy (12-digit codes) and East–West pairings (对口关系)."""
