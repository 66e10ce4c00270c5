-- Nothing looks notifications up by their event (a repeat is caught by processed_events, whose
-- rows are never deleted), so this index only cost a B-tree insert per notification.
DROP INDEX notifications_by_event;
