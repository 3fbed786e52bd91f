"""What ramoctl and ramogui share, with the Python standard library only: the management
API client, client-side SigV4 signing, S3 XML reading, bucket naming rules, human sizes
and the limits both sides of the wire agree on.  The server imports only the pure rules
(``naming``, ``human``, ``limits``), never the other way round."""
