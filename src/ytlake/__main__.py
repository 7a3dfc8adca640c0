from ytlake.cli import main

raise SystemExit(main())
