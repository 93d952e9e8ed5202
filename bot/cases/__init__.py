"""The case itself: transitions, who may act and when, vocabulary, areas, routing."""
