"""`derive review`: check a student's own workings line by line with the derive engine."""

from derive.review.review import Review, LinkVerdict, review_file, review_workings

__all__ = ["LinkVerdict", "Review", "review_file", "review_workings"]
