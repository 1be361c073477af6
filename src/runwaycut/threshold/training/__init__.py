"""Training the threshold model (needs scikit-learn and labelled photos; never imported at
inference).

    collect      each labelled photo's F1 curve, features and person sweep (cached)
    crossval     k-fold cross-validation of the rules and models; the final fit
    fit          fitting a forest on them; targets from the curves
"""
