"""Ranked-choice lottery selection: families rank courses while the window is open, then a verifiable draw
orders the children and seats are allocated in rounds (:mod:`.draw`, :mod:`.allocate`). Pure: no I/O."""
