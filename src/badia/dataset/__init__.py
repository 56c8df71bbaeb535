"""The dataset itself: the Data Package and its schemas, the codes it uses, the seed corpus, reading tables."""
