"""Chat conversations: chat sources, conversations becoming leads, transcripts, replies from the product."""
