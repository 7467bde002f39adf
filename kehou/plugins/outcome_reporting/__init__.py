"""Outcome reporting: supervision (patrols, complaints, incidents), satisfaction surveys, the
term-end showcase, provider evaluation feeding the exit mechanism, and the county dashboard and
reports. Reads the catalogue through ``course_catalogue.public`` and billing through
``billing_cap.public`` only."""
