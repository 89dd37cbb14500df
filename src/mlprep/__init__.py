"""mlprep: spaced-repetition flashcards and numeric drills for ML interview prep."""

__version__ = "0.1.0"
