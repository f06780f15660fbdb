"""Container buildroots: the mock replacement, as explicit recorded steps in one container."""
