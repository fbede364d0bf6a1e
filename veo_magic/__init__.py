"""veo_magic."""
