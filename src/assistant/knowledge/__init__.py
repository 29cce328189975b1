"""Domain knowledge shipped as data: the glossary and the ten guidelines."""
