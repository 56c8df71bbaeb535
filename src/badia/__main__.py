from badia.cli import main

raise SystemExit(main())
