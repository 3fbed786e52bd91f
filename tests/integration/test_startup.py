"""Start-up of a real ramod: refusing a data directory in use, and recovering staging."""

import pytest

from ramod_process import RamodProcess, RamodStartError, unique_bucket_name


def test_second_server_on_the_same_data_dir_refuses_to_start(tmp_path, s3_factory):
    """A second ramod on a data directory in use exits with status 1; the first keeps serving."""
    data = tmp_path / "shared-data"
    with RamodProcess(tmp_path / "first", data_dir=data) as first:
        second = RamodProcess(tmp_path / "second", data_dir=data)
        with pytest.raises(RamodStartError) as refused:
            second.start(timeout=20)
        assert "status 1" in str(refused.value)
        assert "another ramod is already using" in second.log_tail()
        s3 = s3_factory(first)
        bucket = unique_bucket_name("lock")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"still here")
        assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"still here"


def test_leftovers_in_staging_are_removed_at_start(tmp_path):
    """Staged files without metadata (an interrupted upload) are gone after a start."""
    data = tmp_path / "data"
    (data / "staging").mkdir(parents=True)
    orphan = data / "staging" / ("ab" * 16)
    orphan.write_bytes(b"half an upload")
    stray = data / "staging" / "not-a-blob"
    stray.write_bytes(b"junk")
    with RamodProcess(tmp_path, data_dir=data):
        assert not orphan.exists() and not stray.exists()
        assert not (data / "blobs" / "ab" / ("ab" * 16)).exists()
