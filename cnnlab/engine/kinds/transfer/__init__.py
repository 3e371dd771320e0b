"""Transfer learning (paper 002): a child that starts from its parent's model, layers frozen."""
