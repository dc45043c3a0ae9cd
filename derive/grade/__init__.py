"""Grading of students' answers: untrusted text parsed safely, then compared and diagnosed."""
