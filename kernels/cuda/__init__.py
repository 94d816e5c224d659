"""Numba kernels: arrays in, arrays out. Never imports the ntorch front end."""

from numba.cuda.core import caching as _caching

from ..cache_names import use_key_named_data_files, use_package_source_stamp

use_key_named_data_files(_caching.IndexDataCacheFile)
use_package_source_stamp(_caching._SourceFileBackedLocatorMixin)
