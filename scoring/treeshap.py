"""Exact TreeSHAP for one lead at a time, through shap's C core, checked against shap's public API.

`shap.TreeExplainer.shap_values` validates and reshapes its input on every call: about 1 ms for a
single row, of which the algorithm is a quarter. The intake explains every lead as it arrives, so
this module prepares the explainer once per model version and then calls the same C routine with
the arrays the explainer built. Before it is used, its output is compared with the public API's on
probe rows; if they disagree (say, a shap release changed the routine), the public API is used.
"""

from __future__ import annotations

import logging

import numpy as np
import shap
import xgboost as xgb

log = logging.getLogger("leadrouter.scoring")

_PARITY_TOLERANCE = 1e-5
"""The same routine on the same arrays; the public API hands back float32, hence not exact."""


class TreeShap:
    """Path-dependent TreeSHAP values (log-odds) of one booster, one feature vector per call."""

    def __init__(self, booster: xgb.Booster, probes: np.ndarray) -> None:
        self._explainer = shap.TreeExplainer(booster, feature_perturbation="tree_path_dependent")
        model = self._explainer.model
        self._width = probes.shape[1]
        self._dtype = model.input_dtype
        self._base = float(self._public(np.asarray(probes[:1], dtype=self._dtype))[-1])
        """The public API's base value (the same for every row); the core's own bias term differs from
        it by ~1e-3, and only this one makes base + contributions reproduce the margin."""
        self.direct = self._direct_call_agrees(probes)
        """Whether the C core is called directly (else every explanation pays the public API's cost)."""
        if not self.direct:
            log.warning("shap's TreeSHAP core did not match its public API; explaining through the API")

    def values(self, features: np.ndarray) -> tuple[np.ndarray, float]:
        """(contribution per feature, base value) for one feature vector; they sum to the margin."""
        row = np.asarray(features, dtype=self._dtype).reshape(1, -1)
        phi = self._core(row) if self.direct else self._public(row)
        return phi[:-1], self._base

    def _public(self, row: np.ndarray) -> np.ndarray:
        explanation = self._explainer(row)
        return np.append(explanation.values[0], explanation.base_values[0]).astype(np.float64)

    def _core(self, row: np.ndarray) -> np.ndarray:
        model = self._explainer.model
        phi = np.zeros((1, self._width + 1, model.num_outputs))
        self._dense_tree_shap(
            model.children_left,
            model.children_right,
            model.children_default,
            model.features,
            model.thresholds,
            model.threshold_types,
            model.values,
            model.node_sample_weight,
            model.max_depth,
            row,
            np.isnan(row),
            None,
            self._explainer.data,
            self._explainer.data_missing,
            model.values.shape[0],
            model.base_offset,
            phi,
            self._perturbation,
            self._transform,
            False,
        )
        return phi[0, :, 0]

    def _direct_call_agrees(self, probes: np.ndarray) -> bool:
        """Find the compiled routine and its codes once, then compare it with the public API."""
        rows = np.asarray(probes, dtype=self._dtype)
        try:
            from shap import _cext  # the compiled routine TreeExplainer.shap_values calls
            from shap.explainers._tree import feature_perturbation_codes, output_transform_codes

            self._dense_tree_shap = _cext.dense_tree_shap
            self._perturbation = feature_perturbation_codes["tree_path_dependent"]
            self._transform = output_transform_codes[self._explainer.model.get_transform()]
            direct = np.array([self._core(row.reshape(1, -1)) for row in rows])
        except (TypeError, ValueError, AttributeError, ImportError, KeyError) as exc:
            log.warning("shap's TreeSHAP core could not be called directly: %s", exc)
            return False
        public = np.array([self._public(row.reshape(1, -1)) for row in rows])
        return bool(np.allclose(direct[:, :-1], public[:, :-1], rtol=0.0, atol=_PARITY_TOLERANCE))
