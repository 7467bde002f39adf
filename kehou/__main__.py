from kehou.cli.main import main

raise SystemExit(main())
