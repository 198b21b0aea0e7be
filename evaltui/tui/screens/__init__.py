"""The app's screens: topics and logs are panes (modes); trace and help are pushed."""
