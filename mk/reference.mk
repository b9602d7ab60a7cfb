# Issue 16: every public function of xbl_mpsd.h has a comment at its
# declaration, and what a user reads cites no internal spec file.
.PHONY: doc-check
TEST_STAGES += doc-check

doc-check:
	$(PYTHON) tools/check_doc_comments.py
