"""What is wrong with a calculator's input, each problem naming its field."""


class InputProblem(Exception):
    """One thing wrong with one input object; `field` names the key (dotted for nested ones)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InputProblems(Exception):
    """Every problem found in one input object, so the user can fix them all at once."""

    def __init__(self, problems: list[InputProblem]) -> None:
        super().__init__("; ".join(str(problem) for problem in problems))
        self.problems = problems
