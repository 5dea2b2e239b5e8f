#!/usr/bin/env python
from loopdesk.__main__ import main

if __name__ == "__main__":
    main()
