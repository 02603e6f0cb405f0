"""Reference numbers for the learning module, made with scikit-learn on the WDBC feature table.

Run:  python tests/sklearn_reference.py DATA_DIR/ml/wdbc.csv > tests/data/sklearn_wdbc.json

The split is by patient (GroupShuffleSplit, test_size=0.3, random_state=0); the file keeps the test patients'
ids so the Rust tests rebuild the same split from the shared table without Python.
Iterative solvers are run to tight tolerances (tol=1e-10 for logistic regression, 1e-9 for SVC) so that the
numbers are the optimum of the objective scikit-learn defines, not a solver's early stop; the SVC decision
values at the default tol=1e-3 are stored too.
"""
import json
import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.feature_selection import RFE, SelectFromModel, f_classif, mutual_info_classif
from sklearn.feature_selection._mutual_info import _compute_mi_cd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC


def delong_direct(y, s):
    """DeLong, DeLong & Clarke-Pearson (1988), straight from the definition: O(m n) pairwise kernel."""
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]).astype(float) + 0.5 * (pos[:, None] == neg[None, :])
    auc = psi.mean()
    v10 = psi.mean(axis=1)
    v01 = psi.mean(axis=0)
    var = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    return auc, var


def main():
    df = pd.read_csv(sys.argv[1])
    names = list(df.columns[3:])
    x = df[names].to_numpy(float)
    y = df["label"].to_numpy(int)
    groups = df["patient_id"].to_numpy()
    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0).split(x, y, groups))
    xtr, ytr, xte, yte = x[train], y[train], x[test], y[test]

    out = {"sklearn_version": sklearn.__version__, "features": names,
           "test_patients": sorted(set(groups[test].tolist()))}

    sc = StandardScaler().fit(xtr)
    ztr, zte = sc.transform(xtr), sc.transform(xte)
    out["scaler_mean"] = sc.mean_.tolist()
    out["scaler_scale"] = sc.scale_.tolist()
    f, p = f_classif(ztr, ytr)
    out["f_classif_f"] = f.tolist()
    out["f_classif_p"] = p.tolist()
    top5 = sorted(np.argsort(-f, kind="stable")[:5].tolist())
    out["kbest5"] = top5
    ktr, kte = ztr[:, top5], zte[:, top5]

    lda = LinearDiscriminantAnalysis().fit(ktr, ytr)
    out["lda_proba"] = lda.predict_proba(kte)[:, 1].tolist()
    lr = LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(ktr, ytr)
    out["logistic_proba"] = lr.predict_proba(kte)[:, 1].tolist()
    out["logistic_coef"] = lr.coef_[0].tolist() + [float(lr.intercept_[0])]
    svc = SVC(C=1.0, gamma="scale", tol=1e-9).fit(ktr, ytr)
    out["svc_decision_tight"] = svc.decision_function(kte).tolist()
    out["svc_decision"] = SVC(C=1.0, gamma="scale").fit(ktr, ytr).decision_function(kte).tolist()
    out["svc_all_decision_tight"] = SVC(C=1.0, gamma="scale", tol=1e-9).fit(ztr, ytr).decision_function(zte).tolist()
    out["test_labels"] = yte.tolist()
    for key in ["lda_proba", "logistic_proba", "svc_decision_tight"]:
        out[key.split("_")[0] + "_auc"] = roc_auc_score(yte, np.array(out[key]))
    auc, var = delong_direct(yte, np.array(out["lda_proba"]))
    out["lda_delong_auc"] = auc
    out["lda_delong_var"] = var

    # L1 logistic regression at a fixed strength: checks the solver, not the C search.
    l1 = LogisticRegression(C=0.05, l1_ratio=1.0, solver="saga", tol=1e-12, max_iter=200000).fit(ztr, ytr)
    out["l1_c"] = 0.05
    out["l1_coef"] = l1.coef_[0].tolist() + [float(l1.intercept_[0])]
    rfe = RFE(LogisticRegression(C=1.0, tol=1e-10, max_iter=10000), n_features_to_select=5).fit(ztr, ytr)
    out["rfe5"] = np.flatnonzero(rfe.support_).tolist()
    out["mutual_info"] = mutual_info_classif(ztr, ytr, random_state=0).tolist()
    # The same estimator without the tie-breaking noise, on the raw training columns (identical inputs on
    # both sides, so distances round identically).
    out["mutual_info_raw_no_noise"] = [_compute_mi_cd(xtr[:, j], ytr, 3) for j in range(xtr.shape[1])]

    seeds = list(range(5))
    rf_auc, et_sel, et_auc = [], [], []
    for s in seeds:
        rf = RandomForestClassifier(n_estimators=200, random_state=s).fit(ztr, ytr)
        rf_auc.append(roc_auc_score(yte, rf.predict_proba(zte)[:, 1]))
        sel = SelectFromModel(ExtraTreesClassifier(n_estimators=200, random_state=s)).fit(ztr, ytr)
        cols = np.flatnonzero(sel.get_support())
        et_sel.append(cols.tolist())
        m = LinearDiscriminantAnalysis().fit(ztr[:, cols], ytr)
        et_auc.append(roc_auc_score(yte, m.predict_proba(zte[:, cols])[:, 1]))
    out["forest_seeds"] = seeds
    out["rf_auc"] = rf_auc
    out["extratrees_selected"] = et_sel
    out["extratrees_lda_auc"] = et_auc
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
