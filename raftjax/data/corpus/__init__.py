"""A built-in SFT corpus of beginner C programs: stdin/stdout tasks with verified references (build.py)."""
