"""Children's personal information protected by design (issue 20): the data inventory, access logging and alerts."""
