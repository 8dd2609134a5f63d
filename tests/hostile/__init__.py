"""Hostile submissions for the grader's tests: each one knows the score it deserves."""
