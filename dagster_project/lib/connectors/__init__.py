"""API extracts: dlt's REST client for the HTTP work, one module per API (``salesforce``,
``stripe``, ``ads``), committed through the landing contracts by ``commit``; ``registry`` says
which objects each API delivers."""
