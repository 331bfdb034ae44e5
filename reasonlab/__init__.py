"""reasonlab: reproduce Zhang, Neubig & Yue (2025) on how pre-, mid-training and RL shape reasoning."""

__version__ = "0.1.0"
