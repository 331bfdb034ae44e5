"""Derived results (design.md: `analyses`, beside the runner): computed from what the generator draws, a finished
checkpoint or a recipe's result, saved as a result with a manifest (its inputs' keys among its parents), and only
read by the chapters. A chapter's `load(..., fresh=True)` calls the save function here; it never computes itself.

- tokens: token-class accuracy of a trained base (the ladder and A.7 chapters).
- similarity: Fig 5's graph similarity of solved B problems to A's training shapes (the replication chapter).
- testbed_stats: the generator's length statistics and shape census (the testbed and A.7 chapters).
"""

from .similarity import (WL_ITERATIONS, compare_to_training_shapes, graph_similarity_config, max_similarity,
                         save_graph_similarity, wl_features)
from .testbed_stats import (SHAPE_DRAWS, SHAPE_OPS, STATS_OPS, STATS_PER_OP, length_stats, save_testbed_stats,
                            shape_census, testbed_result_name, testbed_stats_config)
from .tokens import (TOKEN_CLASSES, TOKEN_PROBLEMS_PER_OP, TOKEN_TEMPLATE, save_token_accuracy, token_accuracy,
                     token_classes)

__all__ = [
    "WL_ITERATIONS", "compare_to_training_shapes", "graph_similarity_config", "max_similarity",
    "save_graph_similarity", "wl_features",
    "SHAPE_DRAWS", "SHAPE_OPS", "STATS_OPS", "STATS_PER_OP", "length_stats", "save_testbed_stats", "shape_census",
    "testbed_result_name", "testbed_stats_config",
    "TOKEN_CLASSES", "TOKEN_PROBLEMS_PER_OP", "TOKEN_TEMPLATE", "save_token_accuracy", "token_accuracy",
    "token_classes",
]
