"""The staff knowledge pages (/knowledge/): list and search, article, editor, diff, leaderboard,
the ticket panel, and file downloads. Views parse, check, call one service and render."""
