// API settings pages: the copy buttons and confirm dialogs are app.js's shared ones.
