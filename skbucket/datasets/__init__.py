"""Real posts bundled with skbucket, loaded the scikit-learn way.

* :func:`load_tweets`: 936 marketing tweets (text, account, brand, date, media) and their
  likes, from the Adobe "Behaviour Simulation" challenge (2023).
* :func:`load_captioned_posts`: a stratified sample of 3,000 posts of the same challenge
  with a BLIP caption of their media and their likes, but no text.

Both return a :class:`~sklearn.utils.Bunch` (``data``, ``target``, ``frame``,
``feature_names``, ``target_names``, ``DESCR``) or ``(data, target)`` with
``return_X_y=True``; ``data`` is always a DataFrame because the features are text.
"""

from skbucket.datasets._base import load_captioned_posts, load_tweets

__all__ = ["load_captioned_posts", "load_tweets"]
